"""The shop's catalogue: feed import (`feeds`), embedding and publishing an index (`build`,
with the first-start build), and the bundled CC0 demo catalogue (`demo/`)."""
