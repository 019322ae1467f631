"""Multi-turn categories: BFCL's environments, safe dispatch, conversation loop and checker."""
