"""What every part stands on: the item model and its types (``model``), the error tree
(``errors``), the settings (``settings``), ids, and the embedded PostgreSQL and Redis
(``embedded``). Imports nothing else of Dateline."""
