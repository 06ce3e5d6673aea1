"""Tests of the telephony providers."""
