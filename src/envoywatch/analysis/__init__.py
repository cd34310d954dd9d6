"""Analyzers that judge each post: language, countries and targets, topics, propaganda, replies."""

from envoywatch.analysis.base import ANALYZERS, Analyzer, Context, PostInput, analyzer
from envoywatch.analysis.pipeline import Pipeline

__all__ = ["ANALYZERS", "Analyzer", "Context", "Pipeline", "PostInput", "analyzer"]
