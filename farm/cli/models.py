"""``farm models``: the offline model store and the built-in model presets."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from farm.backends import server_backend_names
from farm.cli.context import cli_settings, console, emit_json
from farm.errors import ModelStoreError
from farm.models.store import ModelStore, manifest_rows


def _store() -> ModelStore:
    return ModelStore.from_settings(cli_settings())


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} TiB"


@click.group()
def models() -> None:
    """The offline model store (import, pull, verify, pack, unpack) and model presets.

    Stored models live under FARM_MODEL_STORE (default $FARM_HOME/models). A worker hosting a
    stored model starts its server from the store, with the Hugging Face offline variables
    set.
    """


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON line: a list of models.")
def list_cmd(as_json: bool) -> None:
    """List the models in the store."""
    store = _store()
    rows = manifest_rows(store.list())
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo(f"the model store at {store.root} is empty")
        return
    table = Table("name", "format", "files", "size", "source")
    for row in rows:
        size = _size(row["bytes"])
        table.add_row(row["name"], row["format"], str(row["files"]), size, row["source"])
    console().print(table)


@models.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--name", "-n", required=True, help="Name in the store.")
@click.option("--force", is_flag=True, help="Replace a stored model of that name.")
def import_cmd(source: Path, name: str, force: bool) -> None:
    """Copy a model into the store as NAME.

    SOURCE is a model directory (config, tokenizer, weights), or one single-file GGUF model
    (FILE.gguf, served with --backend llama.cpp).
    """
    store = _store()
    if source.is_file():
        manifest = store.import_gguf(source, name=name, force=force)
    else:
        manifest = store.import_dir(source, name=name, force=force)
    kind = " (one GGUF file)" if manifest.format == "gguf" else ""
    click.echo(
        f"imported {manifest.name}: {len(manifest.files)} files, "
        f"{_size(manifest.total_bytes)}{kind}"
    )


@models.command("pull")
@click.argument("repo_id")
@click.option("--name", "-n", help="Name in the store [default: the id with / as --].")
@click.option("--revision", help="Branch, tag or commit of the repository.")
def pull_cmd(repo_id: str, name: str | None, revision: str | None) -> None:
    """Download Hugging Face repository REPO_ID into the store (needs network)."""
    manifest = _store().pull(repo_id, name=name, revision=revision)
    click.echo(
        f"pulled {repo_id} as {manifest.name}: {len(manifest.files)} files, "
        f"{_size(manifest.total_bytes)}"
    )


@models.command("verify")
@click.argument("name")
@click.option("--quick", is_flag=True, help="Check presence and sizes only, not sha256.")
def verify_cmd(name: str, quick: bool) -> None:
    """Check every file of stored model NAME against its manifest (exit 1 if damaged)."""
    report = _store().verify(name, full=not quick)
    if not report.ok:
        raise ModelStoreError(report.summary())
    click.echo(report.summary())
    if report.extra:
        click.echo(f"note: files not in the manifest: {', '.join(report.extra)}")


@models.command("pack")
@click.argument("name")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def pack_cmd(name: str, file: Path) -> None:
    """Write stored model NAME into FILE (.tar, or .tar.gz) to carry it elsewhere."""
    path = _store().pack(name, file)
    click.echo(f"packed {name} into {path} ({_size(path.stat().st_size)})")


@models.command("unpack")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", "-n", help="Store under this name instead of the packed one.")
@click.option("--force", is_flag=True, help="Replace a stored model of that name.")
def unpack_cmd(file: Path, name: str | None, force: bool) -> None:
    """Add the model packed in FILE to the store, verifying every file."""
    manifest = _store().unpack(file, name=name, force=force)
    click.echo(f"unpacked {manifest.name}: {len(manifest.files)} files verified")


@models.command("remove")
@click.argument("name")
def remove_cmd(name: str) -> None:
    """Delete stored model NAME."""
    _store().remove(name)
    click.echo(f"removed {name}")


@models.command("presets")
@click.option("--json", "as_json", is_flag=True, help="One JSON line: a list of presets.")
def presets_cmd(as_json: bool) -> None:
    """List the built-in models with how they are served and their tool-calling settings.

    Parser names are checked against the pinned vLLM release's list.
    """
    from farm.models.families import PARSERS_CHECKED_AGAINST, preset_rows

    rows = preset_rows(cli_settings())
    if as_json:
        emit_json(rows)
        return
    table = Table(
        "name", "backend", "call format", "served name", "tool parser", "chat template", "tp"
    )
    for row in rows:
        parser = row["tool_call_parser"] or "-"
        if row["parser_known"] is False:
            parser += " (unknown!)"
        table.add_row(
            row["name"],
            row["backend"],
            row["call_format"],
            row["served_name"],
            parser,
            row["chat_template"] or "-",
            str(row["tensor_parallel_size"]),
        )
    console().print(table)
    click.echo(f"tool-call parsers checked against vLLM {PARSERS_CHECKED_AGAINST}")


@models.command("serve")
@click.argument("model")
@click.option("--gpus", required=True, help="GPU indices such as 0,1, 'all', or 'none' (CPU).")
@click.option("--backend", type=click.Choice(server_backend_names()), help="Server to host with.")
@click.option("--tensor-parallel", type=int, help="GPUs per replica [default: the model's].")
@click.option("--replicas-per-gpu", type=int, default=1, show_default=True)
@click.option("--host", help="Bind address; 0.0.0.0 lets other hosts attach [FARM_SERVER_HOST].")
@click.option("--port", type=int, help="Port of the first replica [FARM_SERVER_PORT].")
@click.option(
    "--publish",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the endpoints as JSON to this file while serving [FARM_SERVER_PUBLISH].",
)
def serve_cmd(
    model: str,
    gpus: str,
    backend: str | None,
    tensor_parallel: int | None,
    replicas_per_gpu: int,
    host: str | None,
    port: int | None,
    publish: Path | None,
) -> None:
    """Host MODEL on GPUs without a worker, until SIGTERM or Ctrl-C (for attach mode).

    Prints one JSON line with the endpoints once every replica is ready.
    """
    from farm.resolve import resolve_model
    from workers.serving.hosting import hosted_model, watch

    settings = cli_settings()
    spec = resolve_model(settings, model)
    with hosted_model(
        settings,
        spec,
        gpus=gpus,
        backend=backend,
        tensor_parallel=tensor_parallel,
        replicas_per_gpu=replicas_per_gpu,
        host=host,
        port=port,
        publish=publish,
    ) as servers:
        emit_json(
            {
                "model": spec.key,
                "served_name": spec.request_model,
                "endpoints": [server.public_url for server in servers],
            }
        )
        watch(servers)
