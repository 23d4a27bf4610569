"""LoFi Studio: routes the pages and shows the shared sidebar. Nothing else lives here.

Streamlit runs this file as `__main__`; a child started with multiprocessing's spawn (the
corpus parser's sandbox) re-runs it as `__mp_main__`. Everything sits under the main guard,
so such a child imports nothing of the app and starts no render workers.
"""


def main() -> None:
    """Routes the pages: studio, radio, dataset, training, evaluate."""
    import streamlit as st

    from app_pages.common import sidebar

    st.set_page_config(page_title="LoFi Studio", page_icon="🎧", layout="wide")
    pages = [
        st.Page("app_pages/studio.py", title="Studio", icon="🎛️", default=True),
        st.Page("app_pages/radio.py", title="Radio", icon="📻"),
        st.Page("app_pages/dataset.py", title="Dataset", icon="🎼"),
        st.Page("app_pages/training.py", title="Training", icon="📈"),
        st.Page("app_pages/evaluate.py", title="Evaluate", icon="🔬"),
    ]
    page = st.navigation(pages)
    sidebar()
    page.run()


if __name__ == "__main__":
    main()
