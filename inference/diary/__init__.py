"""The outfit diary: numbers (`stats`: streaks, weeks), pictures (`pictures`: cards, history
strip, weekly summary, taste chart) and "you wore this on Monday" (`repeats.OutfitEmbedder`,
`repeats.best_match`)."""
