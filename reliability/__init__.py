"""The reliability and security suite: faults, hostile input and concurrency, with figures."""
