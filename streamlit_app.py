"""LoFi Studio: routes the pages and shows the shared sidebar. Nothing else lives here."""

import streamlit as st

from app_pages.common import sidebar

st.set_page_config(page_title="LoFi Studio", page_icon="🎧", layout="wide")

pages = [
    st.Page("app_pages/studio.py", title="Studio", icon="🎛️", default=True),
    st.Page("app_pages/dataset.py", title="Dataset", icon="🎼"),
    st.Page("app_pages/training.py", title="Training", icon="📈"),
]
page = st.navigation(pages)
sidebar()
page.run()
