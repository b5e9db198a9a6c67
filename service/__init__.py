"""The FastAPI web service for suppliers, consultants and auditors."""
