"""Reporting: the paper's numbers as data, tables and figures built from metrics JSON.

Imports no TensorFlow: the report and the regression gate run from the metrics files alone.
"""
