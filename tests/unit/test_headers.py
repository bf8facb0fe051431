"""Header layers (SPEC §4): validation at build time, precedence, removal, immutability."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from composio import Composio, FrozenHeaders, Headers, ValidationError
from composio.headers import RESERVED_HEADERS, build_layer, fold_layers

SECRET_VALUE = "s3cr3t-value-never-echoed"


def client(**kw: object) -> Composio:
    return Composio(api_key="k", base_url="http://127.0.0.1:9", allow_tracking=False, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", sorted(RESERVED_HEADERS))
@pytest.mark.parametrize("spelling", [str.lower, str.upper, str.title])
def test_reserved_headers_are_rejected_everywhere(name: str, spelling: object) -> None:
    spelled = spelling(name)  # type: ignore[operator]
    base = client()
    with pytest.raises(ValidationError) as e1:
        client(default_headers={spelled: "x"})
    with pytest.raises(ValidationError) as e2:
        base.create_session(headers={spelled: "x"})
    with pytest.raises(ValidationError) as e3:
        base.with_options(default_headers={spelled: "x"})
    with pytest.raises(ValidationError) as e4:
        base.tools.list(extra_headers={spelled: "x"})
    for err in (e1, e2, e3, e4):
        assert spelled in str(err.value)
        assert "reserved" in str(err.value)
    with pytest.raises(ValidationError, match="api_key="):
        base.create_session(headers={"X-Api-Key": "x"})
    with pytest.raises(ValidationError, match="provider="):
        base.create_session(headers={"x-framework": "x"})


@pytest.mark.parametrize(
    "value",
    [
        f"a\r\nX-Evil: 1{SECRET_VALUE}",
        f"{SECRET_VALUE}\n",
        f"a\x00{SECRET_VALUE}",
        f"\x1b[31m{SECRET_VALUE}",
        f"{SECRET_VALUE}\x7f",
        f"{SECRET_VALUE}\r",
    ],
)
def test_control_characters_rejected_without_echoing_value(value: str) -> None:
    base = client()
    for call in (
        lambda: client(default_headers={"x-note": value}),
        lambda: base.create_session(headers={"x-note": value}),
        lambda: base.with_options(default_headers={"x-note": value}),
    ):
        with pytest.raises(ValidationError) as err:
            call()
        assert "x-note" in str(err.value)
        assert SECRET_VALUE not in str(err.value)
        assert SECRET_VALUE not in repr(err.value)


@pytest.mark.parametrize("name", ["", "x y", "x:y", "x\ny", "ü", "a(b)", "x,y", "@x"])
def test_names_must_be_rfc9110_tokens(name: str) -> None:
    with pytest.raises(ValidationError, match="RFC 9110 token"):
        client().create_session(headers={name: "v"})


def test_non_str_values_rejected() -> None:
    with pytest.raises(ValidationError, match="must have a str value"):
        client().create_session(headers={"x-n": 5})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="mapping"):
        client().create_session(headers=[("x-a", "1")])  # type: ignore[arg-type]


def test_tab_is_allowed_in_values() -> None:
    assert client().create_session(headers={"x-a": "a\tb"}).headers["x-a"] == "a\tb"


def test_precedence_and_removal() -> None:
    base = client(default_headers={"X-Tenant": "default", "x-drop": "d", "x-keep": "k"})
    s1 = base.create_session(headers={"x-tenant": "s1", "x-s1": "1"})
    s2 = s1.create_session(headers={"X-TENANT": "s2", "x-drop": None})
    assert dict(s2.headers) == {"X-TENANT": "s2", "x-keep": "k", "x-s1": "1"}
    # the parent is unchanged
    assert dict(s1.headers) == {"x-tenant": "s1", "x-drop": "d", "x-keep": "k", "x-s1": "1"}
    assert dict(base.headers) == {"X-Tenant": "default", "x-drop": "d", "x-keep": "k"}


def test_caller_dict_is_copied() -> None:
    mine = {"x-user-id": "a"}
    session = client().create_session(headers=mine)
    mine["x-user-id"] = "b"
    mine["x-new"] = "n"
    assert dict(session.headers) == {"x-user-id": "a"}


def test_headers_view_is_read_only_and_case_insensitive() -> None:
    session = client().create_session(headers={"X-User-Id": "a"})
    view = session.headers
    assert isinstance(view, FrozenHeaders)
    assert view["x-user-id"] == view["X-USER-ID"] == "a"
    with pytest.raises(TypeError):
        view["x-user-id"] = "b"  # type: ignore[index]
    with pytest.raises(TypeError):
        del view["x-user-id"]  # type: ignore[attr-defined]
    assert not hasattr(view, "update")


def test_clients_are_immutable() -> None:
    base = client()
    session = base.create_session(headers={"x-a": "1"})
    for target in (base, session):
        with pytest.raises(AttributeError, match="immutable"):
            target.base_url = "http://127.0.0.1:1"  # type: ignore[misc]
        with pytest.raises(AttributeError):
            target._session_layer = {}  # type: ignore[misc]
        with pytest.raises(AttributeError):
            target.anything = 1  # type: ignore[attr-defined]


def test_headers_mutable_dict_semantics() -> None:
    h = Headers({"Content-Type": "a"})
    h["content-type"] = "b"
    assert list(h) == ["content-type"] and h["CONTENT-TYPE"] == "b"
    h.apply({"x-a": ("X-A", "1"), "content-type": ("Content-Type", None)})
    assert h.to_wire() == {"X-A": "1"}


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["x-a", "X-A", "x-b", "X-B", "x-c"]),
            st.one_of(st.none(), st.text(alphabet="abc", min_size=1, max_size=3)),
            max_size=4,
        ),
        max_size=5,
    )
)
def test_folding_equals_applying_layers_in_order(layers: list[dict[str, str | None]]) -> None:
    folded: dict[str, tuple[str, str | None]] = {}
    reference: dict[str, tuple[str, str]] = {}
    for raw in layers:
        layer = build_layer(raw, "test")
        folded = dict(fold_layers(folded, layer))
        for k, v in raw.items():
            if v is None:
                reference.pop(k.lower(), None)
            else:
                reference[k.lower()] = (k, v)
    h = Headers()
    h.apply(folded)
    assert h.to_wire() == dict(reference.values())


# -- SPEC §12.3: values are visible ASCII, space and tab only ---------------------------------
@pytest.mark.parametrize(
    "value",
    [
        f"caf\u00e9-{SECRET_VALUE}",  # latin-1: requests would send one raw obs-text byte
        f"{SECRET_VALUE}\u20ac",  # not latin-1: UnicodeEncodeError at send time before
        f"{SECRET_VALUE}\u00a0",  # no-break space looks like a space, is not one
        f"\u200b{SECRET_VALUE}",  # zero-width space
        f"{SECRET_VALUE}\U0001f600",
        f"{SECRET_VALUE}\x85",  # C1 control (NEL)
    ],
)
def test_non_ascii_values_rejected_at_creation_without_echo(value: str) -> None:
    base = client()
    for call in (
        lambda: client(default_headers={"x-note": value}),
        lambda: base.create_session(headers={"x-note": value}),
        lambda: base.with_options(default_headers={"x-note": value}),
        lambda: base.tools.list(extra_headers={"x-note": value}),
    ):
        with pytest.raises(ValidationError) as err:
            call()
        assert "x-note" in str(err.value)
        assert SECRET_VALUE not in str(err.value) and SECRET_VALUE not in repr(err.value)


def test_every_visible_ascii_character_space_and_tab_is_accepted() -> None:
    value = "".join(chr(c) for c in range(0x20, 0x7F)) + "\t"
    assert client().create_session(headers={"x-all": value}).headers["x-all"] == value


# -- SPEC §12.4: framing headers are the SDK's ------------------------------------------------
FRAMING = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
]


@pytest.mark.parametrize("name", FRAMING)
@pytest.mark.parametrize("spelling", [str.lower, str.upper, str.title])
def test_framing_headers_rejected_everywhere(name: str, spelling: object) -> None:
    spelled = spelling(name)  # type: ignore[operator]
    base = client()
    for call in (
        lambda: client(default_headers={spelled: "x"}),
        lambda: base.create_session(headers={spelled: "x"}),
        lambda: base.with_options(default_headers={spelled: "x"}),
        lambda: base.tools.list(extra_headers={spelled: "x"}),
        # removing one (None) is refused too: the SDK owns them, a layer cannot touch them
        lambda: base.create_session(headers={spelled: None}),
    ):
        with pytest.raises(ValidationError) as err:
            call()
        assert repr(spelled) in str(err.value)


def test_plugin_metadata_goes_through_the_same_validation() -> None:
    import composio

    class Meta:
        composio_plugin_name = "meta-plugin"

        def __init__(self, headers: dict[str, str]) -> None:
            self.headers = headers

        @composio.hookimpl
        def composio_request_metadata(self, config: object) -> dict[str, str]:
            return self.headers

    for bad in ({"x-m": f"\u00e9{SECRET_VALUE}"}, {"Content-Length": "0"}, {"Host": "evil"}):
        with pytest.raises(ValidationError) as err:
            client(plugins=[Meta(bad)])
        assert "meta-plugin" in str(err.value) and next(iter(bad)) in str(err.value)
        assert SECRET_VALUE not in str(err.value)
