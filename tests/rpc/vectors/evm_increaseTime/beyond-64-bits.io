// an offset beyond 64-bit timestamps: -32602
>> {"jsonrpc":"2.0","id":1,"method":"evm_increaseTime","params":[18446744073709551616]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: seconds exceeds 64 bits"}}
