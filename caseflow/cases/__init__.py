"""Cases (one beneficiary × one scheme), their lifecycle machine and their timeline."""
