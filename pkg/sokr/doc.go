// Package sokr is the core of SOKR, the Sovereign Open Kernel Runtime: a
// substrate-neutral compute runtime. It routes a computation, written in some
// intermediate representation, to whichever registered substrate can run it,
// runs it there and signals completion.
//
// # Overview
//
// The core exposes three operations:
//
//   - Capability: can this substrate fulfil this program? Each substrate
//     answers with an [Offer]: yes with an [Estimate], or no with a reason.
//   - Dispatch: fulfil it. [Runtime.Dispatch] returns at once with a [Future].
//   - Completion: the future completes exactly once, with a [Result] or an
//     error, and can be waited on, polled, cancelled or given callbacks.
//
// A [Runtime] holds a [Registry] of IR plugins and substrates and a [Policy]
// that chooses among the substrates willing to run a program:
//
//	rt := sokr.New()
//	defer rt.Close(ctx)
//	rt.RegisterSubstrate(cpu.New())
//	res, err := rt.Run(ctx, prog, []sokr.Tensor{sokr.FromSlice(x, 2, 3)})
//
// The package imports only the standard library and never an IR or a
// substrate: those live in pkg/ir and pkg/substrate and register here. The
// package sokrtest holds a fake substrate for tests and the conformance suite
// every substrate passes.
//
// # Programs and IRs
//
// A [Program] is a parsed, verified computation tagged with its IR format
// ("sokr.native/1", "openqasm/3", "nir/1", ...). It states its
// [Requirements]: named features ("gate:cu3", "nir:CubaLIF", "dtype:f64")
// and quantities ("qubits", [QuantityMemoryBytes]). Substrates read them to
// decide whether they can run it, and type-assert the Program to the
// concrete types of the formats they know.
//
// An [IR] plugin turns source into Programs of one format; its parse errors
// are [*ProgramError] values with a [Position]. The optional [Detector] and
// [Lowerer] abilities let a runtime recognise source and accept in-memory
// objects (a circuit, a graph dictionary). A Program that implements
// [InputChecker] has the dispatch inputs checked before any substrate sees
// them. Front-ends that handle programs of formats they do not know (the
// Python package, libsokr, C plugins) find the optional program abilities
// [Signaturer], [Sourcer] and [Describer], and the substrate abilities
// [SessionEnder] and [Diagnoser], and the domain-value ability [Tabular],
// by type assertion, never by switching on concrete types.
//
// Numeric inputs and outputs are [Tensor] values: a [DType], a [Shape] and
// row-major data. [FromSlice] and [View] convert between Go slices and
// tensors without copying.
//
// # Substrates and offers
//
// A [Substrate] is anything that runs programs: a CPU, a simulator, a GPU, a
// C plugin, a cluster. It has a unique, versioned name, a [Kind] and
// [Properties], and needs only two methods beyond those: Capability and
// Dispatch. Optional abilities, such as [Closer], are separate small
// interfaces found by type assertion. A [Deferred] substrate is a
// placeholder for substrates that are costly to start (a GPU driver loaded
// into the process): the runtime starts them only when it would ask them
// about a program they could run, or when one is named.
//
// Capability is cheap and has no side effects. A substrate never says yes and
// then silently drops part of a program (a noise channel, a gate, a neuron
// type): it says no, with a reason the user can act on ("needs 31 qubits,
// this substrate holds at most 30 in 24 GiB"). [Runtime.Capability] collects
// every substrate's [Offer] in name order; a substrate that panics in
// Capability is reported as refusing, with the panic as its reason.
//
// Registration rejects programmer errors (a nil substrate, an empty, blank or
// duplicate name) with a [*RegistrationError]. [Registry.StartSubstrate]
// records a substrate that fails or panics while starting, visible in
// [Registry.Failures], without stopping the others.
//
// # Dispatch and futures
//
// [Runtime.Dispatch] checks the inputs, asks the substrates, lets the policy
// choose one and starts the work. It never blocks on the work and never
// returns an error directly: every failure, including no capable substrate,
// invalid inputs, a closed runtime or an expired context, arrives through
// the [Future]. [DispatchOption] values pin a substrate ([On]), override the
// policy ([Using]), bound the run ([Timeout]) and pass settings to the
// substrate ([Seed], [Param]).
//
// A Future completes exactly once, whatever races between the substrate's
// completion, [Future.Cancel], the dispatch context's cancellation or
// deadline, and [Runtime.Close]: the first outcome stands and later ones are
// dropped. [Future.Done] is closed on completion; [Future.Wait] blocks until
// then or until its own context ends (which does not stop the dispatch);
// [Future.Poll] never blocks; [Future.OnComplete] registers a callback, run
// at once if the future has already completed. [Future.Substrate] names the
// substrate that ran the dispatch and [Future.Timings] records when it was
// queued, started and finished.
//
// [Runtime.Close] refuses new dispatches and waits for those in flight; if
// its context ends first it cancels them, so that every future completes.
//
// # Memory admission
//
// A runtime made with [WithMemory] holds one memory budget. Dispatch
// reserves the chosen offer's Estimate.MemoryBytes before the substrate
// starts and gives it back when the substrate hands the job back (see
// [Future.Settled]), so runs that each fit cannot together exhaust the
// machine. A run that does not fit now waits in a first-in, first-out
// queue, cancellable and under its deadline; [Runtime.Close] fails the
// queued runs with [ErrClosed]; [Timings].MemoryWait says how long one
// waited. An offer that needs more than the whole budget becomes a refusal
// that gives both numbers; an offer that estimates no memory runs without a
// reservation. [Runtime.Memory] reports the budget and its use. Without
// WithMemory (the default for New) there is no budget and no queue.
//
// # Policies
//
// A [Policy] chooses among the offers of the substrates that said yes, in
// name order. [FirstCapable] (the default) takes the first; [Cheapest] the
// smallest estimated time, then memory, with unknown estimates last;
// [Pinned] one substrate by name; [RoundRobin] rotates over equal
// substrates. [PolicyFunc] adapts any function. A policy that fails, panics
// or returns an index out of range makes the dispatch fail with a
// [*NoCapableError] carrying the policy's error.
//
// # Errors
//
// Errors are values that errors.Is and errors.As match. Each sentinel has a
// concrete type carrying the detail:
//
//   - [ErrNoCapableSubstrate]: [*NoCapableError], with every substrate's
//     refusal reason (and the policy's error, when it chose none).
//   - [ErrInvalidProgram]: [*ProgramError], with the fault's [Position].
//   - [ErrInvalidInput]: [*InputError], naming the input and what is wrong
//     with its count, dtype or shape.
//   - [ErrCancelled]: also matches context.Canceled, and a custom
//     cancellation cause given through context.WithCancelCause.
//   - [ErrDeadlineExceeded]: also matches context.DeadlineExceeded.
//   - [ErrSubstrateFault]: [*FaultError]. A panic inside a substrate, in
//     Dispatch or in a [Job.Go] goroutine, is recovered and becomes this
//     error, with the panic value and stack; the process and the other
//     futures carry on.
//   - [ErrClosed]: the runtime was closed. Futures that Close cancels match
//     both ErrCancelled and ErrClosed.
//   - [ErrRegistration]: [*RegistrationError].
//   - [ErrAlreadyDone]: from [Future.Cancel] on a completed future.
//   - [ErrUnknownFormat]: no IR plugin for a format or a source.
//
// Messages start with "sokr: ". [ContextError] converts a context's error
// into ErrCancelled or ErrDeadlineExceeded for substrates and adapters.
//
// # Writing a substrate
//
// Implement [Substrate]. In Capability, inspect the program's format and
// [Requirements] and return [Yes] with an estimate or [No] with a reason;
// never accept what you would only partly run. In Dispatch, start the work
// and return promptly, arranging for the [Job] to be completed exactly once,
// from any goroutine, possibly before Dispatch returns:
//
//	func (s *Sim) Dispatch(_ context.Context, job *sokr.Job) {
//		job.Go(s.Name(), func(job *sokr.Job) (sokr.Result, error) {
//			return s.run(job, job.Program.(*circuit.Program), job.Inputs, job.Options)
//		})
//	}
//
// [Job.Go] runs the function on a new goroutine (and [Job.Run] on the
// caller's), records the start, completes the job with the function's
// outcome and turns a panic into a [*FaultError]. A substrate that queues
// work calls [Job.Start] when a job leaves the queue, and completes it with
// [Job.Complete], [Job.Fail] or [Job.Faultf].
//
// A Job is also the context.Context the work runs under: it is done as soon
// as the future completes (cancelled, timed out, shut down), carries the
// caller's deadline and values, and long-running work should check
// [Job.Err] or select on [Job.Done] to stop early. A completion that comes
// after the future has ended is dropped, so a cancelled job's late result is
// harmless. Implement [Closer] to release resources when the runtime
// closes, or [ContextCloser] when closing waits for work the substrate
// still holds (Runtime.Close passes its context, so its deadline holds).
//
// Every substrate should pass the conformance suite in package sokrtest.
package sokr
