; The base profile's block layout (entry, body, measurements, output
; joined by unconditional branches) returning i64 0, with tail calls
; and hugr-style local_unnamed_addr; written for SOKR after the QIR
; Alliance's base profile specification.
%Qubit = type opaque
%Result = type opaque

@0 = internal constant [3 x i8] c"r0\00"

define dso_local i64 @Entry_Point_Name() local_unnamed_addr #0 {
entry:
  tail call void @__quantum__rt__initialize(i8* null)
  br label %body

body:                                     ; preds = %entry
  tail call void @__quantum__qis__x__body(%Qubit* null)
  tail call void @__quantum__qis__ry__body(double 3.141592653589793, %Qubit* inttoptr (i64 1 to %Qubit*))
  tail call void @__quantum__qis__ccx__body(%Qubit* null, %Qubit* inttoptr (i64 1 to %Qubit*), %Qubit* inttoptr (i64 2 to %Qubit*))
  br label %measurements

measurements:                             ; preds = %body
  tail call void @__quantum__qis__mz__body(%Qubit* null, %Result* writeonly null)
  tail call void @__quantum__qis__mz__body(%Qubit* inttoptr (i64 1 to %Qubit*), %Result* writeonly inttoptr (i64 1 to %Result*))
  tail call void @__quantum__qis__mz__body(%Qubit* inttoptr (i64 2 to %Qubit*), %Result* writeonly inttoptr (i64 2 to %Result*))
  br label %output

output:                                   ; preds = %measurements
  tail call void @__quantum__rt__tuple_record_output(i64 1, i8* null)
  tail call void @__quantum__rt__result_record_output(%Result* null, i8* getelementptr inbounds ([3 x i8], [3 x i8]* @0, i32 0, i32 0))
  ret i64 0
}

attributes #0 = { "entry_point" "qir_profiles"="base_profile" "output_labeling_schema" "required_num_qubits"="3" "required_num_results"="3" }
