"""The Streamlit shell: sidebar, navigation, drill-down and the server process."""
