"""``python -m prisma_session_store``: the command line (see ``_cli``)."""

from ._cli import main_entry

main_entry()
