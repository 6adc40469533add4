"""Paper that comes back: what the printed handouts carry for a scanner (QR codes, registration
marks, bubbles and answer boxes), ``sheets.json`` (where each of them was typeset), and
``examgen scan``, which reads scanned handouts back into a responses CSV for ``examgen grade``."""
