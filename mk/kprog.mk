# A misspelled BPF program name in a probe table is a compile error, not an
# attach-time failure (KS_PROG, src/engine/trace.h). `make unit` checks it:
# tests/unit/kprog_check.c compiles as it is, and with -DKS_PROG_TYPO fails
# with an error that names the misspelled program.

.PHONY: kprog-check

unit: kprog-check

kprog-check: tests/unit/kprog_check.c src/engine/trace.h | $(SKELS)
	@$(CC) $(CFLAGS) -fsyntax-only $<
	@if $(CC) $(CFLAGS) -fsyntax-only -DKS_PROG_TYPO $< > $(OUT)/kprog-typo.log 2>&1; then \
		echo "kprog-check: a misspelled program name compiled (KS_PROG checks nothing)"; \
		exit 1; \
	fi
	@if ! grep -q "hello_exec_bft" $(OUT)/kprog-typo.log; then \
		echo "kprog-check: the error does not name the misspelled program:"; \
		cat $(OUT)/kprog-typo.log; exit 1; \
	fi
	@echo "kprog-check: a misspelled program name is a compile error: ok"
