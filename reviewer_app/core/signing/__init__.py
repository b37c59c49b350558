"""Signing: OpenSSH signatures (SSHSIG), key files and ssh-agent, and who may sign (allowed_signers,
revocations). Knows nothing of policy or changes: it answers "is this a valid signature by a trusted key"."""
