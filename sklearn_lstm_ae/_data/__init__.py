"""Input handling: sequence forms, padding, pandas panels, scaling, length buckets, batch sources.

Below the estimators and beside :mod:`sklearn_lstm_ae._keras`: nothing here
builds or registers a Keras model object, and nothing imports upwards.
"""
