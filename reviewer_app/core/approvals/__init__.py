"""Approvals: signed events and their chains, the policy (roster and rules), the one decision path shared by
the CLI and the GUI, and the CI gate that counts what the policy demands. Built on core/signing."""
