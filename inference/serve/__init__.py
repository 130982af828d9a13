"""Inference on Ray Serve (optional, the `ray` extra): the pipeline's model steps as Serve
deployments (app.py) and the bot's client for them (client.py), chosen by `inference.serve`."""
