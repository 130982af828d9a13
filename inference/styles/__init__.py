"""Style detection with the indicators behind it (`detection.detect_styles`) and a user's
taste profile (`taste.Profile`: learned scores plus their own corrections)."""
