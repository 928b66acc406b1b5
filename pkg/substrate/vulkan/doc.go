// Package vulkan is SOKR's GPU substrate: compute through Vulkan on any
// vendor's GPU (and on CPU drivers such as Mesa's lavapipe).
//
// Nothing links against Vulkan: Open loads libvulkan.so.1 with dlopen (or
// the loader Config.Loader or $SOKR_VULKAN_LOADER names) and fetches every
// entry point through vkGetInstanceProcAddr. Without a loader, or with no
// device, Open returns an *UnavailableError saying why, and Register
// records it in the registry's failures; importing SOKR never needs Vulkan.
// The Vulkan headers it compiles against are vendored (internal/include,
// Apache-2.0), so building needs no Vulkan SDK either.
//
// There is one substrate per physical device, named "vulkan:0",
// "vulkan:1", ...; Describe reports the device, its API version and the
// limits Capability checks.
//
//	subs, err := vulkan.Register(rt.Registry, vulkan.Config{})
//	if errors.Is(err, vulkan.ErrUnavailable) { ... } // e.g. no loader
//
// The default runtime registers a [Deferred] placeholder instead, which
// opens Vulkan only when a SPIR-V module or native program is asked of it,
// a circuit of 20 qubits or more is to be compared with statevec (see
// Circuits), a device is named, or a listing asks what is there: loading a
// driver maps its libraries into the process, and a session running small
// circuits or spiking networks needs none of them.
//
// # CPU drivers and LLVM
//
// Devices of type CPU (Mesa's lavapipe, Google's SwiftShader) are left out
// unless Config.CPU or $SOKR_VULKAN_CPU=1 asks for them: they are slower
// than the cpu substrate, and lavapipe links its own libLLVM, which aborts a
// process that already holds another LLVM (CUDA-Q's: "LLVM ERROR: Option
// 'default' already exists!"). Their drivers are not even loaded: Open adds
// them to the loader's driver filter (VK_LOADER_DRIVERS_DISABLE, honoured by
// loaders from 1.3.234) while it creates the instance. For the same reason
// Mesa's drivers for PCI GPUs whose vendor has no GPU on the machine (RADV,
// which links libLLVM, on a machine without an AMD GPU) are left out, unless
// VK_ICD_FILENAMES, VK_DRIVER_FILES or VK_LOADER_DRIVERS_SELECT chooses the
// drivers. A driver that links LLVM for a GPU that is there (RADV on AMD)
// still cannot share a process with CUDA-Q.
//
// # SPIR-V modules
//
// A *spirv.Program runs as one dispatch of a GLCompute entry point. Capability
// checks the module's SPIR-V version, capabilities (Float64, Int64, 16- and
// 8-bit storage, subgroup operations, ...) against the device's features,
// and its workgroup size, shared memory, push constants and bindings
// against the device's limits, and says which one does not fit. Only
// storage and uniform buffers are bound: a module with images or samplers
// is refused.
//
// Robust buffer access is on where the device has it, so a shader that
// indexes past the array it was given cannot write outside that buffer.
//
// The inputs are the buffers, one per binding in (set, binding) order;
// each goes to its own device-local buffer through a staging buffer and
// must fit the block: at least its fixed size, plus whole elements of a
// trailing runtime array. Every writable storage buffer comes back as an
// output with its input's dtype and shape, named after its block (or
// "set.binding"). Options:
//
//	groups          workgroup counts: n, [x], [x, y] or [x, y, z]; default
//	                one invocation per element of the largest runtime array
//	push_constants  the push-constant block: []byte, []float32, []uint32,
//	                []int32 or "base64:..." — exactly the block's size
//	entry_point     the entry point's name; default the first GLCompute one
//	spec_constants  specialization constants: {id or name: value}, each
//	                encoded as the constant's type (a workgroup size set
//	                this way is checked against the device)
//
// # Native programs
//
// A *native.Program runs through built-in kernels (kernels/*.comp) in one
// command buffer, with every value in one device buffer: chains of
// elementwise maths, comparisons and select fused into one pass each,
// broadcast and transpose, reductions (long ones in two passes) and a
// tiled matrix product. The kernels
// compute in f32 (bools as 0 and 1), with pow, max and min following Go's
// rules for zeros, infinities and NaN as cpu does, and in f64 on devices
// with shaderFloat64: arithmetic, sqrt, abs, relu, max, min, broadcast,
// transpose, reductions and matmul (GLSL has no f64 exp, log, tanh, sin, cos
// or pow, and there is no f32/f64 conversion kernel). Capability refuses
// anything else, naming the node, so the same program gives the same answer
// as on cpu within rounding (GPUs may flush f32 denormals, and their sin and
// cos lose accuracy for huge arguments).
//
// # Circuits
//
// A sokr.circuit/1 program (OpenQASM through pkg/ir/qasm) runs on a state
// vector held in device memory. The plan is statevec's: pkg/internal/qsim
// evaluates and fuses the gates into dense, diagonal and permutation
// passes on at most five targets, with controls, and splits a dynamic
// program into a prefix and per-shot steps; the kernels (kernels/q*.comp)
// apply one pass per dispatch, reading and writing each amplitude it
// changes once. The options are statevec's, with the same names and
// errors ("vulkan option ..."): mode (sample, observe, state), shots,
// observable, fusion, trajectories, method and precision. The precision is
// complex64 unless complex128 is asked for, as CUDA-Q's nvidia target
// computes in fp32 by default; complex128 needs shaderFloat64, and is
// refused with an InputError naming the option and the device where it is
// missing. The density-matrix method is statevec's only.
//
// Sampling a static circuit downloads the probabilities |a|^2 (never the
// state) and draws the shots on the host with qsim.SampleProbs and
// statevec's seeded stream: the same seed gives statevec's counts, up to
// float rounding (exactly, in complex128, on states of up to 4096
// amplitudes, where statevec samples the same way). Observe reduces the Z
// strings of each qubit-wise commuting group on the device, on a rotated
// copy of the state; only the partial sums come back. get_state copies the
// state back once. Dynamic circuits run by trajectories, the measurements
// decided on the device (see circuit_dynamic.go for how, and for when the
// random stream is statevec's and when the results agree statistically
// only). A long run is several submissions, and a cancelled run stops
// between them.
//
// The state is split over up to 16 device buffers of a power-of-two
// number of amplitudes, each within maxStorageBufferRange and
// maxMemoryAllocationSize (2 GiB chunks on an H100, whose limit is 4 GiB -
// 1), bound as one descriptor array that the kernels index with
// workgroup-uniform values (Vulkan 1.0's
// shaderStorageBufferArrayDynamicIndexing; see circuit_kernels.go for why
// not buffer device addresses). Amplitude indices are 32-bit, so at most 32
// qubits. Capability refuses a state the device's memory cannot hold,
// saying how many qubits fit and the device's memory ("needs 33 qubits
// (64 GiB as complex64); vulkan:0 holds at most 32 (79.6 GiB)").
// Config.MaxChunkBytes lowers the
// chunk size, for tests.
//
// A circuit's time estimate, which the default policy (sokr.Auto) compares
// with statevec's, is pkg/internal/qcost's model, latency + gates·2^n·time
// per gate and amplitude, with both constants measured on the device on
// first use (a two-qubit circuit; the peers' layered circuit on 20 qubits
// once a circuit that large is asked about). A CPU driver gives none
// (unless Config.EstimateCPU, for tests): it runs on the cores statevec
// uses, with slower kernels, so the policy keeps circuits on statevec.
//
// # NIR graphs
//
// NIR graphs (nir.go, nir_conv.go) run with snn's semantics, option for
// option, every NIR primitive and recurrent edges included, lowered onto
// the matmul and fused kernels: a layer's products over all steps are one
// matmul where its input is known before it runs, the neuron updates
// fused elementwise chains, convolutions and pooling a dense matrix
// (refused over 256 MiB, naming the node, so snn runs it); see the comment
// at the top of nir.go. Option "propagation" ("auto", "event", "dense")
// picks the kernel of a layer's products: "auto" runs event-driven
// (kernels/eventmm.comp: the weight rows of inputs that are zero in all of
// a 16-row group are not read) the products of up to 16 rows, a layer in
// a cycle at a batch of up to 16 among them, and the others on the tiled
// matmul kernel; Meta "propagation" says which ran, in snn's words. A run
// whose values do not fit one device buffer runs in several submissions,
// each from the last one's final state (nir_chunks.go; Meta "submits").
// Vulkan is not started for NIR graphs: name vulkan:N.
//
// Meta: precision, gates, fused_gates, fusion, mode, method ("sampled",
// "exact" or "trajectories"), chunks, submits, dispatches, device,
// gpu_time_ns (the kernels' time, all submissions), device_memory_bytes,
// and, as on statevec, registers, shots, groups, terms and trajectories.
//
// # Completion
//
// Each dispatch is recorded into a pooled command buffer and submitted
// with a fence; one goroutine per device waits on the fences in
// submission order and completes the jobs, so there is no thread per
// dispatch. Results carry Meta["gpu_time_ns"] (the GPU timestamps around
// the kernels) and Meta["device"]. Pipelines are cached per module and
// entry point, and the driver's pipeline cache is kept on disk (see
// Config.CacheDir). Device and staging buffers are pooled by size class.
//
// # Memory
//
// Capability's estimate (and EstimateRun's, which sees a module's inputs)
// is host memory, as the runtime's budget is: the staging buffer a run
// goes through both ways, the results, the C and Go bookkeeping, and the
// device buffers too where device memory is host memory (CPU drivers,
// integrated GPUs). It is a cold pool's run: every buffer counted as
// allocated afresh. A discrete GPU's memory is not in it: a run whose
// buffers exceed the device's memory is refused, and each result says
// what its run held in Meta["device_memory_bytes"]. The driver's own
// allocations (command buffers, compiled pipelines) are not counted.
//
// # Validation
//
// Config.Validation (or $SOKR_VULKAN_VALIDATION=1) turns on the Khronos
// validation layer; its warnings and errors are collected and returned by
// Substrate.ValidationMessages. SOKR's tests fail on any message.
package vulkan
