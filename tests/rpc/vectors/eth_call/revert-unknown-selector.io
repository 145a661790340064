// a selector the module does not have: code 3
>> {"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"to":"0x0000000000000000000000000000000000000801","data":"0xdeadbeef"}]}
<< {"jsonrpc":"2.0","id":1,"error":{"code":3,"message":"execution reverted","data":"0xc7799fcbdeadbeef00000000000000000000000000000000000000000000000000000000"}}
