"""The warehouse layer: named queries bound and scoped, the schema, marts and other engines.

It knows nothing of the bank's rules or of Streamlit; everything above reads data only through it.
"""
