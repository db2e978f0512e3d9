print("openwork-harness: not yet")
