"""Which stored item a new one is: versions and kills of the same item (``versions``), near
duplicates from other partners (``minhash``: the MinHash sketch and LSH keys), and the verdict
that names the outcome (``verdict``)."""
