"""Where can I buy this: garment crops (`crop`), embedders (`embedders`), the Annoy catalogue
index (`index`), street-to-shop ranking (`retrieval.search`), text search (`text_search`) and how
shops' categories and colours map to ours (`catalog_terms`)."""
