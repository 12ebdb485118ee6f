"""bulkops: change Plivo phone numbers in bulk, safely and as fast as the account allows."""

__version__ = "0.1.0"
