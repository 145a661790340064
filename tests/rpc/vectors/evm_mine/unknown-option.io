// an unknown option: -32602
>> {"jsonrpc":"2.0","id":1,"method":"evm_mine","params":[{"block":1}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: unknown mine options ['block']"}}
