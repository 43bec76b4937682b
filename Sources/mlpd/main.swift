print("mlpd")
