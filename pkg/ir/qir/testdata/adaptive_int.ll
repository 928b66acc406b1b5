; Adaptive profile with integer computation: two measured coins form the
; integer r0 + 2*r1; qubit 2 is flipped when it equals 3 (both coins 1),
; so result 2 is the AND of results 0 and 1. Written for SOKR.
define i64 @and_gate() #0 {
entry:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__h__body(ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  %a = call i1 @__quantum__qis__read_result__body(ptr null)
  %b = call i1 @__quantum__qis__read_result__body(ptr inttoptr (i64 1 to ptr))
  %a64 = zext i1 %a to i64
  %b64 = zext i1 %b to i64
  %b2 = shl i64 %b64, 1
  %v = or disjoint i64 %a64, %b2
  %both = icmp eq i64 %v, 3
  br i1 %both, label %flip, label %out
flip:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 2 to ptr))
  br label %out
out:
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  call void @__quantum__rt__int_record_output(i64 %v, ptr null)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 2 to ptr), ptr null)
  ret i64 0
}

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="3" "required_num_results"="3" }
