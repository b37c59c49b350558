# The two commands of the README:
#   make demo   set up, build the demo workspace and open it (headless: save a screenshot, print the queue)
#   make test   set up, run the whole test suite
.PHONY: setup demo test bench clean bundle test-bundle

DEMO_HOME ?= $(CURDIR)/build/demo
DEMO_DB := $(DEMO_HOME)/reviewer.db
DEMO_WS := $(DEMO_HOME)/workspace
APP := .venv/bin/reviewer-app

setup:
	@./scripts/setup-env.sh

demo: setup
	@mkdir -p $(DEMO_HOME)
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] && [ -z "$$QT_QPA_PLATFORM" ]; then \
		$(APP) --db $(DEMO_DB) demo --path $(DEMO_WS); \
	else \
		$(APP) --db $(DEMO_DB) demo --path $(DEMO_WS) --no-gui && \
		QT_QPA_PLATFORM=offscreen $(APP) --db $(DEMO_DB) gui --workspace $(DEMO_WS) --screenshot $(DEMO_HOME)/screenshot.png && \
		echo "" && echo "The review queue, most dangerous first:" && $(APP) --db $(DEMO_DB) queue --repo $(DEMO_WS) && \
		echo "" && echo "No display: the main window was rendered offscreen to $(DEMO_HOME)/screenshot.png" && \
		echo "Database: $(DEMO_DB)   Workspace: $(DEMO_WS)" && \
		echo "The command is $(APP) (or run 'source .venv/bin/activate' to call it as reviewer-app)."; \
	fi

test: setup
	.venv/bin/python -m pytest -q

# A one-folder PyInstaller bundle in dist/reviewer-app/ (runs with no Python installed), and its smoke test.
bundle: setup
	.venv/bin/python -m pip install -q -e '.[test,bundle]'
	.venv/bin/pyinstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/reviewer-app.spec
	@du -sh dist/reviewer-app

test-bundle: bundle
	REVIEWER_APP_TEST_BUNDLE=1 .venv/bin/python -m pytest -q -m slow tests/packaging/test_bundle.py

bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; .venv/bin/python $$b || exit 1; done

clean:
	rm -rf build .pytest_cache
