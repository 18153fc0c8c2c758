"""Quality metrics, alerts and the steward report: everything people read about a night's data quality."""
