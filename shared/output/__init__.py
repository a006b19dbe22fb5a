"""What goes out: items as ninjs 3.3 and 2.4 (``ninjs``, validated against the vendored IPTC
schemas), the contract item of the API (``serialise``), the Atom feed (``atom``), and signed
webhook deliveries with their address guard (``webhooks``)."""
