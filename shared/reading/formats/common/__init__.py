"""What several readers share: safe JSON and XML decoding (``jsonsafe``, ``xmlsafe``), charset
detection and repair (``charsets``), all-or-nothing batches (``batch``), and the wire-copy
conventions of ANPA and IPTC 7901 (``wireframe``, ``wiretext``). Helpers that belong to one
reader sit beside it in ``formats``, named after it (``nitf_html``, ``newsml_g2_meta``, …)."""
