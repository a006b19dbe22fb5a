"""From bytes to normalised items: ``prepare`` (the one path the API's check, the worker and
``dateline parse`` share) runs a reader of ``formats`` and then ``normalise`` (with
``dateline``, ``timestamps``, ``language`` and the IPTC ``vocab``); ``repairs`` records what
was repaired, ``collect`` gathers every problem of a document, ``profiles`` checks the
partners' parsing profiles."""
