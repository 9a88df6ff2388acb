"""Commands people run (plan, test) and the helpers they share with the tests."""
