# bench/fmtbench: kscope's record formatting alone (userspace, no BPF), in
# ns per record. Unlike the workloads it links kscope's own objects.
$(OUT)/bench/fmtbench: bench/fmtbench.c $(filter-out $(OUT)/obj/main.o,$(OBJS))
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(filter-out $(OUT)/obj/main.o,$(OBJS)) $(LDLIBS) -o $@
