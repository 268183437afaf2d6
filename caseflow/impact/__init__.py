"""Impact the public can see: area summaries with small counts suppressed, stories told with
the beneficiary's consent to publicity, and the PNG card and PDF sheet a supervisor posts."""
