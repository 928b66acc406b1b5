; A three-qubit GHZ state in the QIR base profile with opaque pointers
; (LLVM 15+), with gates that cancel in pairs around it. Written for SOKR.
@r0 = internal constant [3 x i8] c"r0\00"

define void @ghz() local_unnamed_addr #0 {
  call void @__quantum__rt__initialize(ptr null)
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__cnot__body(ptr null, ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__cx__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__s__body(ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__s__adj(ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__t__body(ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__t__adj(ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__rz__body(double 0x3FE921FB54442D18, ptr null)
  call void @__quantum__qis__rz__body(double -7.853981633974483e-01, ptr null)
  call void @__quantum__qis__swap__body(ptr null, ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__cz__body(ptr null, ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__z__body(ptr null)
  call void @__quantum__qis__z__body(ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mz__body(ptr null, ptr writeonly null)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr writeonly inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 2 to ptr), ptr writeonly inttoptr (i64 2 to ptr))
  call void @__quantum__rt__tuple_record_output(i64 3, ptr null)
  call void @__quantum__rt__result_record_output(ptr null, ptr @r0)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr null)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 2 to ptr), ptr null)
  ret i64 0
}

declare void @__quantum__rt__initialize(ptr)

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "num_required_qubits"="3" "num_required_results"="3" }
