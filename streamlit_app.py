"""LoFi Studio: routes the pages and shows the shared sidebar. Nothing else lives here.

Streamlit runs this file as `__main__`; a child started with multiprocessing's spawn (the
corpus parser's sandbox) re-runs it as `__mp_main__`. Everything sits under the main guard,
so such a child imports nothing of the app and starts no render workers.

`streamlit run streamlit_app.py` finds the ASGI `app` below and serves it with uvicorn when
it imports this file as `streamlit_app`: the same app, whose HTML tells the browser where the
server's root is (app_pages/base_url.py), so reloading a page makes no failed requests.
"""

PAGES = (  # script, title, icon; the first is the default page (its url path is "/")
    ("app_pages/studio.py", "Studio", "🎛️"),
    ("app_pages/radio.py", "Radio", "📻"),
    ("app_pages/dataset.py", "Dataset", "🎼"),
    ("app_pages/training.py", "Training", "📈"),
    ("app_pages/evaluate.py", "Evaluate", "🔬"),
)


def url_paths() -> list[str]:
    """The pages' url paths as Streamlit names them (the script's name)."""
    return [script.rsplit("/", 1)[-1].removesuffix(".py") for script, _t, _i in PAGES]


def main() -> None:
    """Routes the pages: studio, radio, dataset, training, evaluate."""
    import streamlit as st

    from app_pages.common import sidebar

    st.set_page_config(page_title="LoFi Studio", page_icon="🎧", layout="wide")
    pages = [
        st.Page(script, title=title, icon=icon, default=i == 0)
        for i, (script, title, icon) in enumerate(PAGES)
    ]
    page = st.navigation(pages)
    sidebar()
    page.run()


if __name__ == "__main__":
    main()
elif __name__ == "streamlit_app":  # imported by uvicorn under `streamlit run`
    import streamlit as st
    from starlette.middleware import Middleware

    from app_pages.base_url import ServerRootScript

    app = st.App(__file__, middleware=[Middleware(ServerRootScript, pages=url_paths()[1:])])
