"""Training and evaluation: `stylebot train parser|embedder`, `stylebot eval
parser|retrieval|comments|repeats`. Imports `inference`; nothing in the runtime imports this."""
