"""Running many requests at the account's pace: the shared throttle, the retry policy, the pool."""
