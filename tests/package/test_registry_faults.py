"""Registry faults through a fault-injecting proxy in front of the real docker-registry."""

from __future__ import annotations

import os
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from lambdaserve.errors import BuildError
from lambdaserve.package.image.build import ImageBuild, build_image
from lambdaserve.package.image.unpack import export_layout
from lambdaserve.package.registry.auth import Credentials
from lambdaserve.package.registry.push import push_image
from tests.package.conftest import ImageProject, LocalRegistry, cached_installer
from tests.package.registry_proxy import FaultProxy

pytestmark = [pytest.mark.integration, pytest.mark.slow]
MiB = 1024 * 1024


class Provider:
    """A credential provider that counts its calls, as the CLI's ECR one is called per push."""

    def __init__(self, username: str = "robot", password: str = "s3cret") -> None:
        self.calls = 0
        self.creds = Credentials(username, password)

    def __call__(self) -> Credentials:
        self.calls += 1
        return self.creds


@pytest.fixture
def proxy(registry: LocalRegistry) -> Iterator[FaultProxy]:
    with FaultProxy(registry.host, auth="bearer") as running:
        yield running


def _build(project: ImageProject, proxy: FaultProxy, model_bytes: int = 0) -> ImageBuild:
    """Build with the base read through the proxy, so the base and the target share a registry."""
    base = project.base_image.replace(project.base_image.split("/")[0], proxy.host)
    toml = project.root / "lambdaserve.toml"
    toml.write_text(toml.read_text().replace(project.base_image, base))
    if model_bytes:  # incompressible, so the layer spans several chunks
        (project.root / "model" / "blob.bin").write_bytes(os.urandom(model_bytes))
    return build_image(project.config(), install_dependencies=cached_installer, base_credentials=Provider())


def _registry_has(registry: LocalRegistry, path: str) -> bool:
    try:
        return registry.get(path)[0] == 200
    except urllib.error.HTTPError:
        return False


def test_bearer_token_expiring_mid_push_is_refreshed_with_fresh_credentials(
        image_project: ImageProject, proxy: FaultProxy, registry: LocalRegistry) -> None:
    build = _build(image_project, proxy)
    provider = Provider()
    proxy.faults.expire_token_after = 4
    result = push_image(build, f"{proxy.host}/team/auth:v1", credentials=provider)
    assert provider.calls == 2  # once to log in, once more after the 401 on an accepted token
    assert proxy.log.tokens_issued >= 3  # the build's, the push's, the refreshed one
    assert _registry_has(registry, f"/v2/team/auth/manifests/{result.digest}")
    # Never cached across pushes: the next push asks again.
    push_image(build, f"{proxy.host}/team/auth:v1", credentials=provider)
    assert provider.calls == 3


def test_wrong_credentials_are_refused_with_a_hint(image_project: ImageProject, proxy: FaultProxy) -> None:
    build = _build(image_project, proxy)
    with pytest.raises(BuildError) as err:
        push_image(build, f"{proxy.host}/team/auth:v1", credentials=Provider(password="wrong"))
    assert "refused your credentials" in err.value.message and "ecr:" in err.value.hint


def test_basic_auth(image_project: ImageProject, registry: LocalRegistry) -> None:
    with FaultProxy(registry.host, auth="basic") as basic:
        build = _build(image_project, basic)
        with pytest.raises(BuildError, match="needs a login"):
            push_image(build, f"{basic.host}/team/basic:v1")
        result = push_image(build, f"{basic.host}/team/basic:v1", credentials=Provider())
        assert _registry_has(registry, f"/v2/team/basic/manifests/{result.digest}")


def test_connection_dropped_mid_chunk_resumes_where_the_registry_stopped(
        image_project: ImageProject, proxy: FaultProxy, registry: LocalRegistry) -> None:
    build = _build(image_project, proxy, model_bytes=12 * MiB)
    model = build.layers[1]
    assert model.size > 2 * 5 * MiB
    proxy.faults.drop_patch = 3  # dependencies take one PATCH; this is the model layer's second chunk
    before = proxy.log.bytes_received
    result = push_image(build, f"{proxy.host}/team/resume:v1", credentials=Provider(), chunk_size=5 * MiB)
    assert proxy.log.dropped == 1
    assert proxy.count("GET", "/blobs/uploads/") == 1  # asked the upload's Range, then resumed
    assert _registry_has(registry, f"/v2/team/resume/blobs/{model.digest}")
    assert _registry_has(registry, f"/v2/team/resume/manifests/{result.digest}")
    # Only the half the registry never got was sent again: every blob byte arrived exactly once.
    uploaded = sum(layer.size for layer in build.layers) + build.blob(build.config_digest).stat().st_size
    assert proxy.log.bytes_received - before == uploaded + len(build.manifest_bytes)


def test_corrupted_chunk_is_refused_and_nothing_is_tagged(
        image_project: ImageProject, proxy: FaultProxy, registry: LocalRegistry) -> None:
    build = _build(image_project, proxy)
    proxy.faults.corrupt_patch = True
    with pytest.raises(BuildError, match="HTTP 400"):
        push_image(build, f"{proxy.host}/team/corrupt:v1", credentials=Provider())
    assert not _registry_has(registry, "/v2/team/corrupt/manifests/v1")


def test_manifest_digest_mismatch_is_refused(image_project: ImageProject, proxy: FaultProxy) -> None:
    build = _build(image_project, proxy)
    proxy.faults.wrong_manifest_digest = True
    with pytest.raises(BuildError) as err:
        push_image(build, f"{proxy.host}/team/tampered:v1", credentials=Provider())
    assert build.manifest_digest in err.value.message and "Refusing" in err.value.hint


def test_redirects_are_followed(image_project: ImageProject, proxy: FaultProxy, tmp_path: Path) -> None:
    build = _build(image_project, proxy)
    proxy.faults.redirect_patch = True
    push_image(build, f"{proxy.host}/team/redirect:v1", credentials=Provider())
    assert ("PATCH", 307) in {(m, s) for m, _, s in proxy.log.requests}
    # Blob downloads redirected to another host (as to S3) go there without our Authorization.
    proxy.faults.redirect_blob_gets = True
    layout = export_layout(build, tmp_path / "layout", base_credentials=Provider())
    assert (layout / "blobs" / "sha256" / build.base_layers[0].digest.split(":")[1]).is_file()


def test_dropped_reads_are_retried_after_a_backoff(image_project: ImageProject, proxy: FaultProxy) -> None:
    build = _build(image_project, proxy)
    sleeps: list[float] = []
    # The first drop looks like a kept-alive connection the server closed: retried at once, on a
    # new connection. The second is a real failure: retried after a back-off.
    proxy.faults.drop_method, proxy.faults.drop_times = "HEAD", 2
    result = push_image(build, f"{proxy.host}/team/retry:v1", credentials=Provider(), sleep=sleeps.append)
    assert proxy.log.dropped == 2 and sleeps == [0.5]
    assert result.statuses["dependencies"] == "uploaded"


def test_an_unreachable_registry_fails_fast_with_a_hint(image_project: ImageProject,
                                                        proxy: FaultProxy) -> None:
    build = _build(image_project, proxy)
    sleeps: list[float] = []
    with pytest.raises(BuildError, match="cannot reach the registry") as err:
        push_image(build, "127.0.0.1:9/team/nowhere:v1", sleep=sleeps.append)
    assert "network" in err.value.hint and sleeps == []  # refused: retrying would not help


def test_anonymous_token_flow_for_a_public_base(image_project: ImageProject, registry: LocalRegistry) -> None:
    # for parity: public.ecr.aws answers 401 + a Bearer challenge, then gives anonymous pull tokens.
    with FaultProxy(registry.host, auth="bearer", anonymous_pull=True) as public:
        toml = image_project.root / "lambdaserve.toml"
        toml.write_text(toml.read_text().replace(registry.host, public.host))
        build = build_image(image_project.config(), install_dependencies=cached_installer)
        assert public.log.tokens_issued == 1 and ("GET", 401) in {(m, s) for m, _, s in public.log.requests}
        assert build.base_ref.registry == public.host
