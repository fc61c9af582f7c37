from orderdesk_stack.catalogue import catalogue_path, render_catalogue


def test_the_committed_event_catalogue_is_generated_from_the_current_models():
    assert catalogue_path().read_text() == render_catalogue(), (
        "docs/events.md is stale: run `uv run orderdesk events catalogue`"
    )
