# The contract users and tools script against (see README): run, stop, test, bench.
.PHONY: run stop status test bench asyncapi

run:        ## start the servers, every service and the demo county; print URLs and logins
	deploy/local/platform.sh start

stop:       ## stop what `make run` started
	deploy/local/platform.sh stop

status:     ## show what is running
	deploy/local/platform.sh status

test:       ## every test tier on real servers (what CI runs)
	deploy/local/test.sh

bench:      ## the benchmarks, as a table of figures and their limits
	deploy/local/bench.sh

asyncapi:   ## regenerate docs/asyncapi.json from the event catalogue
	deploy/local/venv.sh && .venv/bin/python -m shared.events.asyncapi > docs/asyncapi.json
