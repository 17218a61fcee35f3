"""Learning-rate schedules as data and closed-form functions (framework-free)."""
