"""The area tree (state › district › block/urban body › panchayat/ward › settlement) and offices."""
