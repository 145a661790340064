// data and input both given and different: -32602
>> {"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"0x0000000000000000000000000000000000000801","data":"0x01","input":"0x02"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid params: call object has both data and input, and they differ"}}
