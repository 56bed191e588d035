"""Straight from the mailbox: mail accounts and their rules (``accounts``), the IMAP session
(``imap``), and fetching each message into the inbox exactly once, marked on its server only after
its documents are stored (``fetch``)."""
